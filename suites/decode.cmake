# decode.cmake - the decoder's suites, included by suites/CMakeLists.txt:
# test_decode (unit tests on bytes) and test_tshark (our decoder against
# tshark's, field by field, on the golden captures and on synthesised ones;
# skipped when tshark is not installed).  test_tshark writes its synthesised
# captures with libpcap, an independent writer.

sc_add_suite(test_decode SOURCES test_decode.c LABELS unit decode TIMEOUT 60)
sc_add_suite(test_tshark SOURCES test_tshark.c LABELS decode wire TIMEOUT 120)
target_link_libraries(test_tshark PRIVATE PkgConfig::PCAP)
