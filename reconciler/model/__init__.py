"""Pure data: manifest kinds and identities, the spec models derived from the AWS API, and the plan."""
