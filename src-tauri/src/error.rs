//! The one error every command returns: `{code, message}`, where `code` is
//! one of the strings the web front end switches on (`ui/src/lib/api.ts`).

use phr_api::{ApiError, ErrorCode};
use serde::Serialize;

/// A failed command as the webview receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// One of `ERROR_CODES` in `ui/src/lib/api.ts`.
    pub code: &'static str,
    /// A sentence meant for the user.
    pub message: String,
}

impl CommandError {
    /// Input the app rejects before calling the façade.
    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError {
            code: "invalid_input",
            message: message.into(),
        }
    }

    /// The vault is not open.
    pub fn locked() -> Self {
        CommandError {
            code: "locked",
            message: "The vault is locked; unlock it with your passphrase.".into(),
        }
    }

    /// Something failed that the user cannot fix.
    pub fn internal(message: impl Into<String>) -> Self {
        CommandError {
            code: "internal",
            message: message.into(),
        }
    }
}

/// The front end's code for a façade error code.
pub fn ui_code(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::WrongPassphrase => "wrong_passphrase",
        ErrorCode::Tampered
        | ErrorCode::AuditBroken
        | ErrorCode::NotAVault
        | ErrorCode::NewerVersion => "integrity",
        ErrorCode::VaultNotFound => "no_vault",
        ErrorCode::Locked => "locked",
        ErrorCode::InvalidInput | ErrorCode::Io | ErrorCode::VaultExists => "invalid_input",
        ErrorCode::Remote => "remote",
        ErrorCode::Device => "bluetooth",
        ErrorCode::Cancelled => "cancelled",
        _ => "internal",
    }
}

impl From<ApiError> for CommandError {
    fn from(err: ApiError) -> Self {
        CommandError {
            code: ui_code(err.code),
            message: err.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes `ui/src/lib/api.ts` knows (`ERROR_CODES`).
    const UI_CODES: [&str; 9] = [
        "invalid_input",
        "wrong_passphrase",
        "integrity",
        "no_vault",
        "locked",
        "remote",
        "bluetooth",
        "cancelled",
        "internal",
    ];

    fn check(code: ErrorCode, expected: &str) {
        let err = CommandError::from(ApiError::new(code, "what happened"));
        assert_eq!(err.code, expected, "{code:?}");
        assert_eq!(err.message, "what happened");
        assert!(UI_CODES.contains(&err.code));
    }

    #[test]
    fn every_facade_code_maps_to_a_ui_code() {
        check(ErrorCode::WrongPassphrase, "wrong_passphrase");
        check(ErrorCode::Tampered, "integrity");
        check(ErrorCode::AuditBroken, "integrity");
        check(ErrorCode::NotAVault, "integrity");
        check(ErrorCode::NewerVersion, "integrity");
        check(ErrorCode::VaultNotFound, "no_vault");
        check(ErrorCode::Locked, "locked");
        check(ErrorCode::InvalidInput, "invalid_input");
        check(ErrorCode::Io, "invalid_input");
        check(ErrorCode::VaultExists, "invalid_input");
        check(ErrorCode::Remote, "remote");
        check(ErrorCode::Device, "bluetooth");
        check(ErrorCode::Cancelled, "cancelled");
        check(ErrorCode::Internal, "internal");
    }

    #[test]
    fn serializes_as_code_and_message_only() {
        let json = serde_json::to_value(CommandError::locked()).unwrap();
        assert_eq!(json["code"], "locked");
        assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(json.as_object().map(|o| o.len()), Some(2));
        for err in [CommandError::invalid("x"), CommandError::internal("y")] {
            assert!(UI_CODES.contains(&err.code));
        }
    }
}
