import { errorText } from '../api';

/** An API failure in the API's own words (its messages say what is wrong and how to fix it). */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  return (
    <div className="error-box" role="alert">
      {title && <strong>{title} </strong>}
      {errorText(error)}
    </div>
  );
}
