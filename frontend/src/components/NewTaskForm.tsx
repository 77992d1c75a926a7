"use client";

import { useState, type FormEvent } from "react";
import type { ChangeResult } from "@/hooks/useTasks";
import { TaskFields } from "./TaskFields";

export function NewTaskForm({ onCreate }: { onCreate: (title: string, description: string) => Promise<ChangeResult> }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<Readonly<Record<string, string>>>({});
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    const error = await onCreate(title, description);
    setBusy(false);
    setErrors(error?.fieldErrors ?? {});
    if (!error) {
      setTitle("");
      setDescription("");
    }
  }

  return (
    <section className="card new-task" aria-labelledby="new-task-heading">
      <h2 id="new-task-heading">Add a task</h2>
      <form onSubmit={onSubmit}>
        <TaskFields
          idPrefix="new-task"
          title={title}
          description={description}
          onTitle={setTitle}
          onDescription={setDescription}
          errors={errors}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Adding…" : "Add task"}
        </button>
      </form>
    </section>
  );
}
