//! The route table. The router, the 405 answers' `Allow` header and the OpenAPI test that
//! holds the document to the router all read it, so none of them can drift.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};
use tasks_ports::{TaskRepository, TokenVerifier};

use crate::handlers::{
    complete_task, create_task, delete_task, get_task, health, list_tasks, method_not_allowed,
    openapi_json, ready, task_events, update_task,
};
use crate::metrics::RouteLabel;

pub const HEALTH_PATH: &str = "/health";
pub const READY_PATH: &str = "/ready";
pub const OPENAPI_PATH: &str = "/openapi.json";
pub const TASKS_PATH: &str = "/api/{user_id}/tasks";
pub const EVENTS_PATH: &str = "/api/{user_id}/tasks/events";
pub const TASK_PATH: &str = "/api/{user_id}/tasks/{task_id}";
pub const COMPLETE_PATH: &str = "/api/{user_id}/tasks/{task_id}/complete";

/// Every path of the [`table`], in its order: the values of the metrics' route label.
pub const TEMPLATES: [&str; 7] = [
    HEALTH_PATH,
    READY_PATH,
    OPENAPI_PATH,
    TASKS_PATH,
    EVENTS_PATH,
    TASK_PATH,
    COMPLETE_PATH,
];

/// One path and the handler for each method it serves.
pub struct Endpoint {
    pub path: &'static str,
    routes: Vec<(Method, Route)>,
}

impl Endpoint {
    fn new(path: &'static str) -> Self {
        Self {
            path,
            routes: Vec::new(),
        }
    }

    fn on<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.routes
            .push((method.clone(), web::method(method).to(handler)));
        self
    }

    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.routes.iter().map(|(method, _)| method)
    }

    /// The actix resource; any other method gets 405 with `Allow`. It is named after its
    /// path and carries its metrics label.
    fn into_resource(self) -> actix_web::Resource {
        let allow = self
            .methods()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        self.routes
            .into_iter()
            .fold(
                web::resource(self.path)
                    .name(self.path)
                    .app_data(RouteLabel::of(self.path)),
                |resource, (_, route)| resource.route(route),
            )
            .default_service(web::to(method_not_allowed(allow)))
    }
}

/// Every route the service answers. Resources match in this order, so the events path
/// comes before the task path, whose `{task_id}` would take `events` too.
pub fn table<R: TaskRepository, V: TokenVerifier>() -> Vec<Endpoint> {
    vec![
        Endpoint::new(HEALTH_PATH).on(Method::GET, health),
        Endpoint::new(READY_PATH).on(Method::GET, ready::<R, V>),
        Endpoint::new(OPENAPI_PATH).on(Method::GET, openapi_json),
        Endpoint::new(TASKS_PATH)
            .on(Method::GET, list_tasks::<R, V>)
            .on(Method::POST, create_task::<R, V>),
        Endpoint::new(EVENTS_PATH).on(Method::GET, task_events::<R, V>),
        Endpoint::new(TASK_PATH)
            .on(Method::GET, get_task::<R, V>)
            .on(Method::PUT, update_task::<R, V>)
            .on(Method::PATCH, update_task::<R, V>)
            .on(Method::DELETE, delete_task::<R, V>),
        Endpoint::new(COMPLETE_PATH).on(Method::PATCH, complete_task::<R, V>),
    ]
}

pub fn routes<R: TaskRepository, V: TokenVerifier>(config: &mut web::ServiceConfig) {
    for endpoint in table::<R, V>() {
        config.service(endpoint.into_resource());
    }
}

#[cfg(test)]
mod tests {
    use tasks_ports::in_memory::{FixedTokens, InMemoryTaskRepository};

    use super::*;

    #[test]
    fn the_templates_are_the_table_paths() {
        let paths: Vec<_> = table::<InMemoryTaskRepository, FixedTokens>()
            .iter()
            .map(|endpoint| endpoint.path)
            .collect();
        assert_eq!(paths, TEMPLATES);
    }
}
