//! schemadiff-dsl (work in progress).
