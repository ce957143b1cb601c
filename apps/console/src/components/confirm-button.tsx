import { useEffect, useRef, useState, type KeyboardEvent } from 'react';

interface ConfirmButtonProps {
  /** The button as first shown, e.g. "Cancel run". */
  label: string;
  /** What is asked once it is pressed; says what cannot be undone. */
  question: string;
  confirmLabel: string;
  keepLabel: string;
  disabled?: boolean;
  onConfirm: () => void;
}

/**
 * A button for an irreversible action that asks first, in the page (not window.confirm): pressing it
 * shows the question with a confirm and a keep button, the keep button focused; Escape keeps.
 */
export function ConfirmButton({ label, question, confirmLabel, keepLabel, disabled, onConfirm }: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  const first = useRef<HTMLButtonElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (asking) keep.current?.focus();
    else if (refocus.current) first.current?.focus();
    refocus.current = false;
  }, [asking]);

  const stopAsking = () => {
    refocus.current = true;
    setAsking(false);
  };
  if (!asking || disabled) {
    return (
      <button ref={first} type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') stopAsking();
  };
  return (
    <span className="confirm" role="group" aria-label={question} onKeyDown={onKeyDown}>
      <span className="confirm-question">{question}</span>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button ref={keep} type="button" onClick={stopAsking}>
        {keepLabel}
      </button>
    </span>
  );
}
