export function DesignerPage({ name }: { name?: string }) {
  return <section className="page"><h1>{name ?? 'New workflow'}</h1></section>;
}
