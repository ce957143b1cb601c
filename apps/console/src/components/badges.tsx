/** A gate state, run status or risk level as a labelled badge (text, not colour alone). */
export function Badge({ value, testId }: { value: string | null | undefined; testId?: string }) {
  if (!value) return null;
  return (
    <span className={`badge badge-${value.toLowerCase()}`} data-testid={testId}>
      {value}
    </span>
  );
}
