"""Tests of the pure workflows package (SpiffWorkflow adapter): no Flask, no database."""
