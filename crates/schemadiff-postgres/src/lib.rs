//! schemadiff-postgres (work in progress).
