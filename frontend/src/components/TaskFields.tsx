import { FieldError } from "./FieldError";

/** The title and description inputs, shared by the new-task form and in-place editing. */
export function TaskFields({
  idPrefix,
  title,
  description,
  onTitle,
  onDescription,
  errors,
  autoFocus = false,
}: {
  idPrefix: string;
  title: string;
  description: string;
  onTitle: (value: string) => void;
  onDescription: (value: string) => void;
  errors: Readonly<Record<string, string>>;
  autoFocus?: boolean;
}) {
  const titleId = `${idPrefix}-title`;
  const descriptionId = `${idPrefix}-description`;
  return (
    <>
      <div className="field">
        <label htmlFor={titleId}>Title</label>
        <input
          id={titleId}
          type="text"
          value={title}
          onChange={(event) => onTitle(event.target.value)}
          required
          autoFocus={autoFocus}
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={errors.title ? `${titleId}-error` : undefined}
        />
        <FieldError id={`${titleId}-error`} message={errors.title} />
      </div>
      <div className="field">
        <label htmlFor={descriptionId}>
          Description <span className="hint">(optional)</span>
        </label>
        <textarea
          id={descriptionId}
          value={description}
          onChange={(event) => onDescription(event.target.value)}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={errors.description ? `${descriptionId}-error` : undefined}
        />
        <FieldError id={`${descriptionId}-error`} message={errors.description} />
      </div>
      <FieldError id={`${idPrefix}-body-error`} message={errors.body} />
    </>
  );
}
