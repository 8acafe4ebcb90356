use super::*;
use crate::config::Project;

fn projects() -> Vec<Project> {
    vec![
        Project {
            id: "p1".into(),
            token: "token-one".into(),
        },
        Project {
            id: "p2".into(),
            token: "token-two".into(),
        },
    ]
}

#[test]
fn credentials_match_exactly() {
    let c = Credentials::new(&projects()).unwrap();
    assert_eq!(c.check("p1", "token-one").as_deref(), Some("p1"));
    assert_eq!(c.check("p2", "token-two").as_deref(), Some("p2"));
    for (id, token) in [
        ("p1", "token-two"),
        ("p1", "token-on"),
        ("p1", "token-one "),
        ("p1", ""),
        ("", "token-one"),
        // The boundary between id and token is part of the digest.
        ("p1t", "oken-one"),
    ] {
        assert_eq!(c.check(id, token), None, "{id}:{token}");
    }
    assert!(!format!("{c:?}").contains("token"));
}

#[test]
fn content_type_essence() {
    let mut h = HeaderMap::new();
    assert!(!is_json(&h));
    for (value, ok) in [
        ("application/json", true),
        ("Application/JSON; charset=utf-8", true),
        ("text/plain", false),
        ("application/jsonx", false),
        ("application/x-www-form-urlencoded", false),
    ] {
        h.insert(header::CONTENT_TYPE, value.parse().unwrap());
        assert_eq!(is_json(&h), ok, "{value}");
    }
}
