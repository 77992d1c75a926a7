import type { Task } from "@/lib/api";
import type { ChangeResult } from "@/hooks/useTasks";
import { TaskItem } from "./TaskItem";

interface Props {
  tasks: Task[];
  /** A filter or search is active: an empty list means "no match", not "no tasks". */
  filtered: boolean;
  onToggle: (id: number) => Promise<ChangeResult>;
  onBeginEdit: (id: number) => Promise<Task | null>;
  onUpdate: (id: number, title: string, description: string) => Promise<ChangeResult>;
  onDelete: (id: number) => Promise<ChangeResult>;
}

export function TaskList({ tasks, filtered, ...actions }: Props) {
  if (tasks.length === 0) {
    return (
      <div className="empty">
        {filtered ? (
          <p>No task matches this filter or search.</p>
        ) : (
          <>
            <p>
              <strong>No tasks yet.</strong>
            </p>
            <p>Add your first one with the form above.</p>
          </>
        )}
      </div>
    );
  }
  return (
    <ul className="task-list">
      {tasks.map((task) => (
        <TaskItem key={task.id} task={task} {...actions} />
      ))}
    </ul>
  );
}
