// ServeWire
