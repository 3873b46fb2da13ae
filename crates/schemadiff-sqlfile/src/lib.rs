//! schemadiff-sqlfile (work in progress).
