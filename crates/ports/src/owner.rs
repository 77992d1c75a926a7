use tasks_domain::UserId;

use crate::Claims;

/// Proof that the caller may act on `user_id`'s tasks: the token's subject and the
/// requested user are the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner(UserId);

/// The token is valid but names another user than the one requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not authorized to access this resource")]
pub struct Forbidden;

impl Owner {
    /// Compares the requested user id (the path's, percent-decoded) with the subject, byte
    /// for byte: no case folding, no Unicode normalisation.
    pub fn authorize(claims: &Claims, requested_user_id: &str) -> Result<Self, Forbidden> {
        if claims.subject.as_str() == requested_user_id {
            Ok(Self(claims.subject.clone()))
        } else {
            Err(Forbidden)
        }
    }

    pub fn user_id(&self) -> &UserId {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sub: &str) -> Claims {
        Claims {
            subject: UserId::parse(sub).unwrap(),
            expires_at: 0,
        }
    }

    #[test]
    fn same_subject_is_the_owner() {
        let owner = Owner::authorize(&claims("alice"), "alice").unwrap();
        assert_eq!(owner.user_id().as_str(), "alice");
    }

    #[test]
    fn other_user_is_forbidden() {
        assert_eq!(Owner::authorize(&claims("alice"), "bob"), Err(Forbidden));
        assert_eq!(Owner::authorize(&claims("alice"), "Alice"), Err(Forbidden));
        assert_eq!(Owner::authorize(&claims("alice"), ""), Err(Forbidden));
    }
}
