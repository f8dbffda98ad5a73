"""One router per screen; each route parses, calls one service, renders."""
