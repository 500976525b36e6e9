const TONE: Record<string, string> = {
  sent: 'ok', succeeded: 'ok', enabled: 'ok',
  failed: 'bad', timedout: 'bad', cancelled: 'muted', skipped: 'muted', disabled: 'muted',
  queued: 'wait', sending: 'wait', retrying: 'warn', running: 'wait', waiting: 'wait',
};

export function Status({ value }: { value: string }) {
  return <span className={`status status-${TONE[value.toLowerCase()] ?? 'muted'}`}>{value}</span>;
}
