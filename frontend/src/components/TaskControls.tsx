"use client";

import { useEffect, useState } from "react";
import type { SortOrder, TaskQuery, TaskSort, TaskStatus } from "@/lib/api";

const FILTERS: { value: TaskStatus; label: string }[] = [
  { value: "all", label: "All" },
  { value: "pending", label: "Pending" },
  { value: "completed", label: "Completed" },
];

const SORTS: { value: `${TaskSort}-${SortOrder}`; label: string }[] = [
  { value: "created-desc", label: "Newest first" },
  { value: "created-asc", label: "Oldest first" },
  { value: "updated-desc", label: "Recently changed" },
  { value: "title-asc", label: "Title A–Z" },
  { value: "title-desc", label: "Title Z–A" },
];

/** Typing pauses this long before the search is sent. */
const SEARCH_DELAY_MS = 300;

interface Props {
  query: TaskQuery;
  onChange: (change: Partial<Omit<TaskQuery, "limit">>) => void;
}

/** Filter by status, search, and sort. */
export function TaskControls({ query, onChange }: Props) {
  const [search, setSearch] = useState(query.q);

  useEffect(() => {
    if (search === query.q) return;
    const timer = setTimeout(() => onChange({ q: search }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search, query.q, onChange]);

  return (
    <div className="controls">
      <fieldset>
        <legend>Show</legend>
        <div className="segmented">
          {FILTERS.map((filter) => (
            <label key={filter.value}>
              <input
                type="radio"
                name="status"
                value={filter.value}
                checked={query.status === filter.value}
                onChange={() => onChange({ status: filter.value })}
              />
              <span>{filter.label}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <form
        className="search"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          onChange({ q: search });
        }}
      >
        <label htmlFor="search">Search</label>
        <input
          id="search"
          type="search"
          value={search}
          placeholder="Words in a title or description"
          onChange={(event) => setSearch(event.target.value)}
        />
      </form>
      <div>
        <label htmlFor="sort">Sort</label>
        <select
          id="sort"
          value={`${query.sort}-${query.order}`}
          onChange={(event) => {
            const [sort, order] = event.target.value.split("-") as [TaskSort, SortOrder];
            onChange({ sort, order });
          }}
        >
          {SORTS.map((sort) => (
            <option key={sort.value} value={sort.value}>
              {sort.label}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
