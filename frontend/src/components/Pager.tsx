import type { TaskPage } from "@/lib/api";

interface Props {
  page: TaskPage;
  offset: number;
  limit: number;
  onOffset: (offset: number) => void;
}

/** "11–20 of 27" with Previous/Next; Next follows the API's `Link: rel="next"`. */
export function Pager({ page, offset, limit, onOffset }: Props) {
  if (page.tasks.length === 0) return null;
  const first = offset + 1;
  const last = offset + page.tasks.length;
  const pageCount = Math.max(1, Math.ceil(page.total / limit));
  const pageNumber = Math.floor(offset / limit) + 1;
  return (
    <nav className="pager" aria-label="Pages">
      <p>
        {first}–{last} of {page.total} · page {pageNumber} of {pageCount}
      </p>
      <div className="pager-buttons">
        <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
          Previous<span className="visually-hidden"> page</span>
        </button>
        <button
          type="button"
          disabled={page.nextOffset === null}
          onClick={() => page.nextOffset !== null && onOffset(page.nextOffset)}
        >
          Next<span className="visually-hidden"> page</span>
        </button>
      </div>
    </nav>
  );
}
