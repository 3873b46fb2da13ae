//! schemadiff-sql (work in progress).
