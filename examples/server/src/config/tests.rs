use super::*;

#[test]
fn defaults() {
    let c = Config::try_parse_from(["mfa-server"]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database, "sqlite://mfa-data/mfa.db");
    assert_eq!(c.seal_key_path(), Some(PathBuf::from("mfa-data/mfa.key")));
    assert_eq!(c.transport, TransportKind::Stdout);
    assert_eq!(c.send_limit.windows().len(), 2);
    assert_eq!(c.lockout, LockoutPolicy::default());
    assert!(c.projects_or_dev().unwrap().1);
    let pg = Config::try_parse_from(["mfa-server", "--database", "postgres://h/db"]).unwrap();
    assert_eq!(pg.seal_key_path(), None);
}

#[test]
fn flags() {
    let c = Config::try_parse_from([
        "mfa-server",
        "--database",
        "sqlite:///tmp/x/db.sqlite?mode=rwc",
        "--project",
        "a:b",
        "--project",
        "c:d:e",
        "--allow-country",
        "1,44",
        "--send-limit",
        "1/30",
    ])
    .unwrap();
    assert_eq!(c.seal_key_path(), Some(PathBuf::from("/tmp/x/db.key")));
    assert_eq!(
        c.projects_or_dev().unwrap().0[1],
        Project {
            id: "c".into(),
            token: "d:e".into()
        }
    );
    assert_eq!(c.allow_countries, [1, 44]);
    assert_eq!(c.send_limit.windows()[0].interval_secs(), 30);
    // A malformed entry is refused without being echoed (it may be a
    // token).
    let bad = Config::try_parse_from(["mfa-server", "--project", "a:b", "--project", "nocolon"])
        .unwrap()
        .projects_or_dev()
        .unwrap_err();
    assert!(bad.contains("entry 2") && !bad.contains("nocolon"), "{bad}");
    let entries = Config::try_parse_from(["mfa-server", "--project", "a:sekrit"])
        .unwrap()
        .projects;
    assert!(!format!("{entries:?}").contains("sekrit"));
    assert!(Config::try_parse_from(["mfa-server", "--send-limit", "0/30"]).is_err());
    // A hard lock lasts 1 s to a week (the row is kept a week).
    for (secs, ok) in [
        ("0", false),
        ("1", true),
        ("604800", true),
        ("604801", false),
    ] {
        let parsed = Config::try_parse_from(["mfa-server", "--hard-lock-secs", secs]);
        assert_eq!(parsed.is_ok(), ok, "{secs}");
    }
    assert!(Config::try_parse_from(["mfa-server", "--lockout", "1,2,3"]).is_err());
}

#[test]
fn project_file_lines_and_errors_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("projects");
    std::fs::write(&path, "# ops\np9:file-token\n\n").unwrap();
    let c = Config::try_parse_from([
        "mfa-server",
        "--project",
        "a:b",
        "--project-file",
        path.to_str().unwrap(),
    ])
    .unwrap();
    let (projects, dev) = c.projects_or_dev().unwrap();
    assert!(!dev);
    assert_eq!(projects[1].id, "p9");
    assert_eq!(projects[1].token, "file-token");
    std::fs::write(&path, "p9:ok\nsecret-without-colon\n").unwrap();
    let e = c.projects_or_dev().unwrap_err();
    assert!(e.contains("line 2"), "{e}");
    assert!(!e.contains("secret"), "{e}");
}
