"""Side effects: carry out a plan with idempotent AWS calls, one module per kind."""
