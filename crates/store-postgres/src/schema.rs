// @generated automatically by Diesel CLI.

diesel::table! {
    tasks (id) {
        id -> Int8,
        #[max_length = 255]
        user_id -> Varchar,
        #[max_length = 200]
        title -> Varchar,
        #[max_length = 1000]
        description -> Nullable<Varchar>,
        completed -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        version -> Int8,
    }
}
