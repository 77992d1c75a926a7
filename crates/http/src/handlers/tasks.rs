//! The task routes. Each handler takes `Authorized` first, so 401 and 403 are decided
//! before the path's task id, then the precondition and idempotency headers, then the
//! body and the database are looked at.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use tasks_domain::{IdempotentRequest, Task, TaskId, TaskPage};
use tasks_ports::{Created, TaskRepository, TaskService, TokenVerifier};

use crate::auth::Authorized;
use crate::body::{
    parse_json, read_json, read_json_and_bytes, read_limited, require_json_content_type,
};
use crate::conditional::{TaskTag, if_match, if_none_match, list_tag};
use crate::dto::{CompleteTaskBody, CreateTaskBody, ListParams, TaskResponse, UpdateTaskBody};
use crate::error::ApiError;
use crate::idempotency::{IDEMPOTENT_REPLAYED, fingerprint, idempotency_key};
use crate::openapi::{
    BodyRejected, CreateRejected, GuardedDeleteRejected, GuardedWriteRejected,
    IdempotencyKeyHeader, IfMatch, IfNoneMatch, NotModified, TaskNotFound, TaskPath, UserPath,
};
use crate::pagination::next_page_link;
use crate::routes::{COMPLETE_PATH, TASK_PATH, TASKS_PATH};

type Service<R> = web::Data<TaskService<R>>;

const X_TOTAL_COUNT: &str = "X-Total-Count";

/// An answer carrying one task: its JSON and its `ETag`.
fn with_task(mut response: HttpResponseBuilder, task: Task) -> HttpResponse {
    response
        .insert_header((header::ETAG, TaskTag::of(&task).header_value()))
        .json(TaskResponse::from(task))
}

/// The `{task_id}` segment: not an integer is 422; an integer no task can have (beyond
/// the bigint range) is simply not found.
fn task_id(req: &HttpRequest) -> Result<TaskId, ApiError> {
    let raw = req.match_info().get("task_id").unwrap_or_default();
    if let Ok(id) = raw.parse::<i64>() {
        return Ok(TaskId::new(id));
    }
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::TaskNotFound);
    }
    Err(ApiError::invalid_field("task_id", "must be an integer"))
}

/// Lists the user's tasks, a page at a time.
///
/// The `ETag` is that of this exact answer (body, `X-Total-Count` and `Link`).
#[utoipa::path(
    get,
    path = TASKS_PATH,
    tag = "tasks",
    params(UserPath, ListParams, IfNoneMatch),
    responses(
        (status = OK, description = "One page of tasks", body = [TaskResponse], headers(
            ("X-Total-Count" = u64,
                description = "How many tasks match `status` and `q`, over all pages"),
            ("Link" = String, description = "`<…>; rel=\"next\"`: this query with `offset` \
                advanced; only when there is a next page"),
            ("ETag" = String, description = "The strong entity tag of this answer"),
        )),
        NotModified,
    ),
)]
pub async fn list_tasks<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let query = ListParams::from_query_string(req.query_string()).try_into_domain()?;
    let cached = if_none_match(&req)?;
    let TaskPage { tasks, total } = service.list(&access.owner, &query).await?;
    let link = query
        .next_offset(total)
        .map(|next_offset| next_page_link(req.path(), req.query_string(), next_offset));
    let page: Vec<TaskResponse> = tasks.into_iter().map(TaskResponse::from).collect();
    let body = serde_json::to_vec(&page).map_err(|error| {
        tracing::error!(%error, "a page of tasks did not serialize");
        ApiError::Internal
    })?;
    let (opaque, etag) = list_tag(&body, total, link.as_deref());
    let unchanged = cached.is_some_and(|tags| tags.matches_weakly(&opaque));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((X_TOTAL_COUNT, total))
        .insert_header((header::ETAG, etag));
    if let Some(link) = link {
        response.insert_header((header::LINK, link));
    }
    Ok(if unchanged {
        response.finish()
    } else {
        response.content_type(mime::APPLICATION_JSON).body(body)
    })
}

/// Creates a task.
///
/// With `Idempotency-Key`, a repeat of the same request (the same JSON, however spelled)
/// creates nothing and gets the first answer again, with `Idempotent-Replayed: true`.
#[utoipa::path(
    post,
    path = TASKS_PATH,
    tag = "tasks",
    params(UserPath, IdempotencyKeyHeader),
    request_body = CreateTaskBody,
    responses(
        (status = CREATED, description = "The new task, or the first answer to this \
            `Idempotency-Key` again", body = TaskResponse, headers(
            ("Location" = String, description = "`/api/{user_id}/tasks/{id}`"),
            ("ETag" = String, description = "The task's strong entity tag"),
            ("Idempotent-Replayed" = String, description = "`true` when this is the stored \
                answer to an earlier request with the same `Idempotency-Key`"),
        )),
        CreateRejected,
        BodyRejected,
    ),
)]
pub async fn create_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    payload: web::Payload,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let (body, bytes) = read_json_and_bytes::<CreateTaskBody>(&req, payload).await?;
    let new_task = body.try_into_domain()?;
    let Created { task, replayed } = match key {
        None => Created {
            task: service.create(&access.owner, &new_task).await?,
            replayed: false,
        },
        Some(key) => {
            let request = IdempotentRequest {
                key,
                fingerprint: fingerprint(&bytes)?,
            };
            service
                .create_idempotent(&access.owner, &new_task, &request)
                .await?
        }
    };
    let location = format!("{}/{}", req.path().trim_end_matches('/'), task.id);
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location));
    if replayed {
        response.insert_header((IDEMPOTENT_REPLAYED.clone(), "true"));
    }
    Ok(with_task(response, task))
}

/// Returns one task.
#[utoipa::path(
    get,
    path = TASK_PATH,
    tag = "tasks",
    params(TaskPath, IfNoneMatch),
    responses(
        (status = OK, description = "The task", body = TaskResponse, headers(
            ("ETag" = String, description = "The task's strong entity tag"),
        )),
        NotModified,
        TaskNotFound,
    ),
)]
pub async fn get_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let cached = if_none_match(&req)?;
    let task = service.get(&access.owner, id).await?;
    let tag = TaskTag::of(&task);
    if cached.is_some_and(|tags| tags.matches_weakly(&tag.opaque())) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, tag.header_value()))
            .finish());
    }
    Ok(with_task(HttpResponse::Ok(), task))
}

/// Updates some of a task's fields; PUT and PATCH alike.
///
/// `updated_at` moves.
#[utoipa::path(
    method(put, patch),
    path = TASK_PATH,
    tag = "tasks",
    params(TaskPath, IfMatch),
    request_body = UpdateTaskBody,
    responses(
        (status = OK, description = "The updated task", body = TaskResponse, headers(
            ("ETag" = String, description = "The task's new strong entity tag"),
        )),
        TaskNotFound,
        GuardedWriteRejected,
        BodyRejected,
    ),
)]
pub async fn update_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    payload: web::Payload,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let precondition = if_match(&req, id)?;
    let patch = read_json::<UpdateTaskBody>(&req, payload)
        .await?
        .try_into_domain()?;
    let task = service
        .update(&access.owner, id, &patch, &precondition)
        .await
        .map_err(ApiError::of_write(id))?;
    Ok(with_task(HttpResponse::Ok(), task))
}

/// Deletes a task and answers with it.
///
/// A JSON body, because the seed's client reads JSON from every success.
#[utoipa::path(
    delete,
    path = TASK_PATH,
    tag = "tasks",
    params(TaskPath, IfMatch),
    responses(
        (status = OK, description = "The deleted task", body = TaskResponse, headers(
            ("ETag" = String, description = "The strong entity tag the task had"),
        )),
        TaskNotFound,
        GuardedDeleteRejected,
    ),
)]
pub async fn delete_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let precondition = if_match(&req, id)?;
    let task = service
        .delete(&access.owner, id, &precondition)
        .await
        .map_err(ApiError::of_write(id))?;
    Ok(with_task(HttpResponse::Ok(), task))
}

/// Toggles or sets a task's `completed`.
///
/// An empty body (whatever its `Content-Type`) or `{}` toggles it in one atomic statement;
/// `{"completed": b}` sets it.
#[utoipa::path(
    patch,
    path = COMPLETE_PATH,
    tag = "tasks",
    params(TaskPath, IfMatch),
    // A `ref`: an `Option<_>` body would be documented as nullable, and `null` is 422.
    request_body(
        content = ref("#/components/schemas/CompleteTaskBody"),
        content_type = "application/json",
        description = "Optional: no body, or `{}`, toggles `completed`",
    ),
    responses(
        (status = OK, description = "The task", body = TaskResponse, headers(
            ("ETag" = String, description = "The task's new strong entity tag"),
        )),
        TaskNotFound,
        GuardedWriteRejected,
        BodyRejected,
    ),
)]
pub async fn complete_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    payload: web::Payload,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let precondition = if_match(&req, id)?;
    let body = read_limited(&req, payload).await?;
    let completed = if body.is_empty() {
        None
    } else {
        require_json_content_type(&req)?;
        parse_json::<CompleteTaskBody>(&body)?.try_into_domain()?
    };
    let written = match completed {
        None => {
            service
                .toggle_completed(&access.owner, id, &precondition)
                .await
        }
        Some(completed) => {
            service
                .set_completed(&access.owner, id, completed, &precondition)
                .await
        }
    };
    Ok(with_task(
        HttpResponse::Ok(),
        written.map_err(ApiError::of_write(id))?,
    ))
}
