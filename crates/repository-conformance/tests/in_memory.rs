//! The conformance suite against the in-memory reference store.

use tasks_ports::in_memory::InMemoryTaskRepository;

async fn fresh_store() -> ((), InMemoryTaskRepository) {
    ((), InMemoryTaskRepository::default())
}

tasks_repository_conformance::conformance_tests!(fresh_store());
