"use client";

import { useState, type FormEvent, type KeyboardEvent } from "react";
import type { Task } from "@/lib/api";
import type { ChangeResult } from "@/hooks/useTasks";
import { TaskFields } from "./TaskFields";

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

interface Props {
  task: Task;
  onToggle: (id: number) => Promise<ChangeResult>;
  onBeginEdit: (id: number) => Promise<Task | null>;
  onUpdate: (id: number, title: string, description: string) => Promise<ChangeResult>;
  onDelete: (id: number) => Promise<ChangeResult>;
}

/**
 * One task: a checkbox to mark it done, and Edit (in place) and Delete. The item stays
 * mounted while the list is re-read, so an open editor keeps what the person typed when the
 * task changes elsewhere; saving then reports the conflict instead of overwriting.
 */
export function TaskItem({ task, onToggle, onBeginEdit, onUpdate, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(task.title);
  const [description, setDescription] = useState(task.description ?? "");
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  const [conflict, setConflict] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Shown at once while the toggle is on its way, until the task as re-read replaces it.
  const [toggle, setToggle] = useState<{ to: boolean; of: string } | null>(null);
  const completed = toggle?.of === task.updated_at ? toggle.to : task.completed;
  const idPrefix = `task-${task.id}`;

  async function startEditing() {
    setBusy(true);
    const current = await onBeginEdit(task.id);
    setBusy(false);
    if (!current) return;
    setTitle(current.title);
    setDescription(current.description ?? "");
    setErrors({});
    setConflict(null);
    setEditing(true);
  }

  async function run(action: () => Promise<ChangeResult>) {
    setBusy(true);
    const error = await action();
    setBusy(false);
    return error;
  }

  async function onToggleClick() {
    setToggle({ to: !completed, of: task.updated_at });
    const error = await run(() => onToggle(task.id));
    if (error) setToggle(null);
  }

  async function onSave(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const error = await run(() => onUpdate(task.id, title, description));
    setErrors(error?.fieldErrors ?? {});
    setConflict(error?.status === 412 ? error.message : null);
    if (!error) setEditing(false);
  }

  function onEditKey(event: KeyboardEvent<HTMLFormElement>) {
    if (event.key === "Escape") setEditing(false);
  }

  if (editing) {
    return (
      <li className="task task-edit" data-task-id={task.id}>
        <form onSubmit={onSave} onKeyDown={onEditKey} aria-label={`Edit task: ${task.title}`}>
          <TaskFields
            idPrefix={idPrefix}
            title={title}
            description={description}
            onTitle={setTitle}
            onDescription={setDescription}
            errors={errors}
            autoFocus
          />
          {conflict && (
            <p className="alert alert-error" role="alert">
              {conflict}
            </p>
          )}
          <div className="edit-actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Saving…" : "Save"}
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      </li>
    );
  }

  return (
    <li className={completed ? "task done" : "task"} data-task-id={task.id}>
      <div className="task-row">
        <input
          type="checkbox"
          id={`${idPrefix}-done`}
          checked={completed}
          disabled={busy}
          onChange={onToggleClick}
          aria-label={`Done: ${task.title}`}
        />
        <div className="task-body">
          <p className="task-title">{task.title}</p>
          {task.description && <p className="task-description">{task.description}</p>}
          <p className="task-meta">
            {completed ? "Done" : "To do"} · added {DATE_FORMAT.format(new Date(task.created_at))}
          </p>
        </div>
        <div className="task-actions">
          <button type="button" disabled={busy} onClick={startEditing} aria-label={`Edit: ${task.title}`}>
            Edit
          </button>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() => run(() => onDelete(task.id))}
            aria-label={`Delete: ${task.title}`}
          >
            Delete
          </button>
        </div>
      </div>
    </li>
  );
}
