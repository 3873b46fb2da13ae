//! schemadiff-plan (work in progress).
