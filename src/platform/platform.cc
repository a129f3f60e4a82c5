// OS services live in this library; see platform headers.
