//! schemadiff-diff (work in progress).
