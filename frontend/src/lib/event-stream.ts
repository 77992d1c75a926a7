import { EventSourceParserStream, type EventSourceMessage } from "eventsource-parser/stream";

/**
 * Hands each server-sent event of `response` to `onMessage`, until the server ends the
 * stream (resolves) or the connection breaks or `signal` aborts (rejects). EventSource
 * itself cannot send an Authorization header, so the stream is read from a plain fetch.
 */
export async function readEventStream(
  response: Response,
  onMessage: (message: EventSourceMessage) => void,
): Promise<void> {
  if (!response.body) return;
  const messages = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = messages.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onMessage(value);
  }
}
