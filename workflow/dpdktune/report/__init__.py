"""The self-contained characterisation report.html, ending in the go/no-go decision on ML."""
