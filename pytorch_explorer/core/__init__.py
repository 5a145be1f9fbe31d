"""The small core every concept uses: `errors` (exceptions whose message tells a learner what to
do) and `devices` (which devices torch sees, and which one "auto" means)."""
