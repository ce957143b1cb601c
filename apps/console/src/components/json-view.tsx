/** A JSON value, pretty-printed, in a block that scrolls rather than stretching the page. */
export function JsonView({ value, testId, label }: { value: unknown; testId?: string; label?: string }) {
  return (
    <pre className="json" data-testid={testId} aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
