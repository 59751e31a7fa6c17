"""The report's sections, each a function from a serving file's connection and the window to panels."""
