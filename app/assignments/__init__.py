"""Ad-hoc assignments ("Create Assignment"), each driven by the `assignment` BPMN process."""
