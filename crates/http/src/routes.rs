use actix_web::web;
use tasks_ports::{TaskRepository, TokenVerifier};

use crate::handlers::{
    complete_task, create_task, delete_task, get_task, health, list_tasks, method_not_allowed,
    ready, update_task,
};

pub const TASKS_PATH: &str = "/api/{user_id}/tasks";
pub const TASK_PATH: &str = "/api/{user_id}/tasks/{task_id}";
pub const COMPLETE_PATH: &str = "/api/{user_id}/tasks/{task_id}/complete";

/// Every route; each resource answers other methods with 405 and `Allow`.
pub fn routes<R: TaskRepository, V: TokenVerifier>(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/health")
                .get(health)
                .default_service(web::to(method_not_allowed("GET"))),
        )
        .service(
            web::resource("/ready")
                .get(ready::<R, V>)
                .default_service(web::to(method_not_allowed("GET"))),
        )
        .service(
            web::resource(TASKS_PATH)
                .get(list_tasks::<R, V>)
                .post(create_task::<R, V>)
                .default_service(web::to(method_not_allowed("GET, POST"))),
        )
        .service(
            web::resource(TASK_PATH)
                .get(get_task::<R, V>)
                .put(update_task::<R, V>)
                .patch(update_task::<R, V>)
                .delete(delete_task::<R, V>)
                .default_service(web::to(method_not_allowed("GET, PUT, PATCH, DELETE"))),
        )
        .service(
            web::resource(COMPLETE_PATH)
                .patch(complete_task::<R, V>)
                .default_service(web::to(method_not_allowed("PATCH"))),
        );
}
