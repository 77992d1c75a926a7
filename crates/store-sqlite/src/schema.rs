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
    }
}
