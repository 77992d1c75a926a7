"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { useAuth } from "@/hooks/useAuth";
import { useTasks } from "@/hooks/useTasks";
import { Alert } from "./Alert";
import { NewTaskForm } from "./NewTaskForm";
import { Pager } from "./Pager";
import { TaskControls } from "./TaskControls";
import { TaskList } from "./TaskList";

/** The signed-in user's task manager. Rendered only inside the dashboard's auth guard. */
export function Dashboard({ userId, userLabel }: { userId: string; userLabel: string }) {
  const { signOut } = useAuth();
  const router = useRouter();
  const tasks = useTasks(userId);
  const { query, page, loadError, actionError } = tasks;

  const sessionEnded = loadError?.status === 401 || actionError?.status === 401;
  useEffect(() => {
    if (sessionEnded) router.replace("/login");
  }, [sessionEnded, router]);

  async function onSignOut() {
    await signOut();
    router.replace("/login");
  }

  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <p className="brand">Tasks</p>
          <div>
            <span className="who">{userLabel}</span>
            <button type="button" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main className="dashboard">
        <h1>Your tasks</h1>
        <NewTaskForm onCreate={tasks.createTask} />
        {actionError && <Alert error={actionError} action={tasks.dismissActionError} actionLabel="Dismiss" />}
        <section aria-labelledby="tasks-heading">
          <h2 id="tasks-heading" className="tasks-heading">
            Task list
          </h2>
          <TaskControls query={query} onChange={tasks.updateQuery} />
          <p className="live-status">
            {tasks.live ? "Live: changes made in other tabs and on other devices appear here." : "Connecting for live updates…"}
          </p>
          {loadError && <Alert error={loadError} action={tasks.reload} actionLabel="Try again" />}
          <p className="visually-hidden" role="status" aria-live="polite">
            {page ? `${page.total} ${page.total === 1 ? "task" : "tasks"} found` : ""}
          </p>
          {!page && !loadError && (
            <p className="loading" role="status">
              Loading your tasks…
            </p>
          )}
          {page && (
            <>
              <TaskList
                tasks={page.tasks}
                filtered={query.status !== "all" || query.q.trim() !== ""}
                onToggle={tasks.toggleTask}
                onBeginEdit={tasks.beginEdit}
                onUpdate={tasks.updateTask}
                onDelete={tasks.deleteTask}
              />
              <Pager
                page={page}
                offset={query.offset}
                limit={query.limit}
                onOffset={(offset) => tasks.updateQuery({ offset })}
              />
            </>
          )}
        </section>
      </main>
    </>
  );
}
