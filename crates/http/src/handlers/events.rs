//! The live-update stream of a user's tasks.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use tasks_ports::{TaskRepository, TaskService, TokenVerifier};

use crate::auth::Authorized;
use crate::error::ApiError;
use crate::events::{EventFeed, EventHeartbeat};
use crate::openapi::{StreamsExhausted, UserPath};
use crate::routes::EVENTS_PATH;

/// Streams every committed change of the user's tasks, as server-sent events.
///
/// Each change is an event named `task.created`, `task.updated` or `task.deleted`, whose
/// `data` is the task as the other routes return it (for a delete, as it was) and whose
/// `id` is opaque. An event named `resync` (data `{}`) says changes may have been missed:
/// read the list again. A comment line arrives as soon as the stream is open, and at least
/// every 15 seconds (by default) while it is idle.
///
/// The stream ends when the token expires (reconnect with a fresh one), and a reader that
/// falls too far behind is disconnected; either way, read the list again after
/// reconnecting: nothing is replayed.
#[utoipa::path(
    get,
    path = EVENTS_PATH,
    tag = "tasks",
    params(UserPath),
    responses(
        (status = OK, description = "The stream, until the token expires", content_type = "text/event-stream", body = String),
        StreamsExhausted,
    ),
)]
pub async fn task_events<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: web::Data<TaskService<R>>,
) -> Result<HttpResponse, ApiError> {
    let subscription = service.subscribe(&access.owner)?;
    let EventHeartbeat(heartbeat) = req
        .app_data::<EventHeartbeat>()
        .copied()
        .unwrap_or(EventHeartbeat::DEFAULT);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        // Proxies that buffer answers (nginx) would hold the events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(EventFeed::new(subscription, heartbeat, access.expires_at)))
}
