package org.jlxcfs.fuse.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The test mounts real FUSE filesystems: it needs root and /dev/fuse. Where either is missing
 * it is skipped with the reason, except under CI=true, where it fails: CI has both, and a
 * silently skipped suite would prove nothing.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RootAndFuseCondition.class)
public @interface RequiresRootAndFuse {}
