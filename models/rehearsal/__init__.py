"""Full-size rehearsal: random-weight checkpoints in the released SliME layout, converted, loaded and timed."""
