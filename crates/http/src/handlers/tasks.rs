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
use crate::pagination::next_page_link;

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

pub async fn get_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let task = service.get(&access.owner, id).await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// PUT and PATCH alike: a partial update.
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

/// Answers with the deleted task: the seed's client reads JSON from every success.
pub async fn delete_task<R: TaskRepository, V: TokenVerifier>(
    access: Authorized<V>,
    req: HttpRequest,
    service: Service<R>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&req)?;
    let task = service.delete(&access.owner, id).await?;
    Ok(HttpResponse::Ok().json(TaskResponse::from(task)))
}

/// An empty body (whatever its type) or `{}` toggles; `{"completed": b}` sets.
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
