"use client";

import { Dashboard } from "@/components/Dashboard";
import { useAuth } from "@/hooks/useAuth";

export default function DashboardPage() {
  const { user } = useAuth();
  if (!user) return null; // the layout shows "Loading…" or redirects until there is a user
  return <Dashboard userId={user.id} userLabel={user.name || user.email} />;
}
