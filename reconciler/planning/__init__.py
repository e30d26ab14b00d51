"""Pure planning: normalise desired and live state, diff them, build the plan, render it.
No AWS, no clock, no files."""
