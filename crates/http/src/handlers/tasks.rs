//! The task routes. Each handler takes `Authorized` first, so 401 and 403 are decided
//! before the path's task id, the body or the database are looked at.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use tasks_domain::{TaskId, TaskPage};
use tasks_ports::{TaskRepository, TaskService, TokenVerifier};

use crate::auth::Authorized;
use crate::body::{parse_json, read_json, read_limited, require_json_content_type};
use crate::dto::{CompleteTaskBody, CreateTaskBody, ListParams, TaskResponse, UpdateTaskBody};
use crate::error::ApiError;
use crate::openapi::{BodyRejected, TaskNotFound, TaskPath, UserPath};
use crate::pagination::next_page_link;
use crate::routes::{COMPLETE_PATH, TASK_PATH, TASKS_PATH};

type Service<R> = web::Data<TaskService<R>>;

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
#[utoipa::path(
    get,
    path = TASKS_PATH,
    tag = "tasks",
    params(UserPath, ListParams),
    responses(
        (status = OK, description = "One page of tasks", body = [TaskResponse], headers(
            ("X-Total-Count" = u64,
                description = "How many tasks match `status` and `q`, over all pages"),
            ("Link" = String, description = "`<…>; rel=\"next\"`: this query with `offset` \
                advanced; only when there is a next page"),
        )),
    ),
)]
pub async fn list_tasks<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let query = ListParams::from_query_string(req.query_string()).try_into_domain()?;
    let TaskPage { tasks, total } = service.list(&access.owner, &query).await?;
    let mut response = HttpResponse::Ok();
    response.insert_header(("X-Total-Count", total));
    if let Some(next_offset) = query.next_offset(total) {
        let link = next_page_link(req.path(), req.query_string(), next_offset);
        response.insert_header((header::LINK, link));
    }
    Ok(response.json(
        tasks
            .into_iter()
            .map(TaskResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// Creates a task.
#[utoipa::path(
    post,
    path = TASKS_PATH,
    tag = "tasks",
    params(UserPath),
    request_body = CreateTaskBody,
    responses(
        (status = CREATED, description = "The new task", body = TaskResponse, headers(
            ("Location" = String, description = "`/api/{user_id}/tasks/{id}`"),
        )),
        BodyRejected,
    ),
)]
pub async fn create_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    payload: web::Payload,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let new_task = read_json::<CreateTaskBody>(&req, payload)
        .await?
        .try_into_domain()?;
    let task = service.create(&access.owner, &new_task).await?;
    let location = format!("{}/{}", req.path().trim_end_matches('/'), task.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(TaskResponse::from(task)))
}

/// Returns one task.
#[utoipa::path(
    get,
    path = TASK_PATH,
    tag = "tasks",
    params(TaskPath),
    responses((status = OK, description = "The task", body = TaskResponse), TaskNotFound),
)]
pub async fn get_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let task = service.get(&access.owner, id).await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// Updates some of a task's fields; PUT and PATCH alike.
///
/// `updated_at` moves.
#[utoipa::path(
    method(put, patch),
    path = TASK_PATH,
    tag = "tasks",
    params(TaskPath),
    request_body = UpdateTaskBody,
    responses(
        (status = OK, description = "The updated task", body = TaskResponse),
        TaskNotFound,
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
    let patch = read_json::<UpdateTaskBody>(&req, payload)
        .await?
        .try_into_domain()?;
    let task = service.update(&access.owner, id, &patch).await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// Deletes a task and answers with it.
///
/// A JSON body, because the seed's client reads JSON from every success.
#[utoipa::path(
    delete,
    path = TASK_PATH,
    tag = "tasks",
    params(TaskPath),
    responses((status = OK, description = "The deleted task", body = TaskResponse), TaskNotFound),
)]
pub async fn delete_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let task = service.delete(&access.owner, id).await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// Toggles or sets a task's `completed`.
///
/// An empty body (whatever its `Content-Type`) or `{}` toggles it in one atomic statement;
/// `{"completed": b}` sets it.
#[utoipa::path(
    patch,
    path = COMPLETE_PATH,
    tag = "tasks",
    params(TaskPath),
    // A `ref`: an `Option<_>` body would be documented as nullable, and `null` is 422.
    request_body(
        content = ref("#/components/schemas/CompleteTaskBody"),
        content_type = "application/json",
        description = "Optional: no body, or `{}`, toggles `completed`",
    ),
    responses(
        (status = OK, description = "The task", body = TaskResponse),
        TaskNotFound,
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
    let body = read_limited(&req, payload).await?;
    let completed = if body.is_empty() {
        None
    } else {
        require_json_content_type(&req)?;
        parse_json::<CompleteTaskBody>(&body)?.try_into_domain()?
    };
    let task = match completed {
        None => service.toggle_completed(&access.owner, id).await?,
        Some(completed) => service.set_completed(&access.owner, id, completed).await?,
    };
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}
