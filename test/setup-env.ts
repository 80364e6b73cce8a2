// The AWS SDK warns once per process that Node.js 20 support ends in 2027; in a test run that
// is one warning per test file, drowning the results. The Lambda runs on the newest runtime.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
