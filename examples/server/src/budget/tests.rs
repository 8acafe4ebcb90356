use super::*;

#[test]
fn parse() {
    assert_eq!("off".parse::<BudgetSpec>(), Ok(BudgetSpec::OFF));
    assert_eq!("3/60".parse(), BudgetSpec::new(3, 60));
    for bad in ["0/60", "3/0", "3", "x/60", "3/-1", ""] {
        assert!(bad.parse::<BudgetSpec>().is_err(), "{bad}");
    }
}

#[test]
fn burst_then_refused_with_a_wait() {
    let b = Budgets::new(BudgetSpec::new(3, 3600).unwrap(), BudgetSpec::OFF);
    for _ in 0..3 {
        assert_eq!(b.spend("p1", Some(1)), Ok(()));
    }
    let (which, wait) = b.spend("p1", Some(44)).unwrap_err();
    assert_eq!(which, Spent::Project);
    assert!((1..=1200).contains(&wait), "{wait}");
    // Another project has its own budget.
    assert_eq!(b.spend("p2", Some(1)), Ok(()));
}

#[test]
fn countries_have_their_own_budget_and_spare_the_project() {
    let b = Budgets::new(
        BudgetSpec::new(3, 60).unwrap(),
        BudgetSpec::new(2, 60).unwrap(),
    );
    assert_eq!(b.spend("p1", Some(1)), Ok(()));
    assert_eq!(b.spend("p1", Some(1)), Ok(()));
    assert_eq!(b.spend("p1", Some(1)).unwrap_err().0, Spent::Country);
    // The refused send took nothing from the project: one is left.
    assert_eq!(b.spend("p1", Some(44)), Ok(()));
    assert_eq!(b.spend("p1", Some(33)).unwrap_err().0, Spent::Project);
}
