import { redirect } from "next/navigation";

/** The dashboard is the app; it sends signed-out visitors on to /login. */
export default function Home() {
  redirect("/dashboard");
}
