diesel::table! {
    tasks (id) {
        id -> BigInt,
        user_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        completed -> Bool,
        /// Microseconds since the Unix epoch, UTC.
        created_at -> BigInt,
        /// Microseconds since the Unix epoch, UTC.
        updated_at -> BigInt,
        version -> BigInt,
    }
}

diesel::table! {
    /// Creates kept for repeats of their idempotency key: the task as it was created.
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        fingerprint -> Text,
        task_id -> BigInt,
        title -> Text,
        description -> Nullable<Text>,
        completed -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        version -> BigInt,
        /// Microseconds since the Unix epoch, UTC.
        expires_at -> BigInt,
    }
}
