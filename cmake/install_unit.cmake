# Run by cmake --install (install.cmake sets the UIPSEC_* variables):
# uipsecd.service with ExecStart= pointing at PREFIX/sbin/uipsecd, into
# UIPSEC_SYSTEMD_UNITDIR or else PREFIX/lib/systemd/system.
if(IS_ABSOLUTE "${UIPSEC_SBINDIR_REL}")
  set(UIPSEC_SBINDIR "${UIPSEC_SBINDIR_REL}")
else()
  set(UIPSEC_SBINDIR "${CMAKE_INSTALL_PREFIX}/${UIPSEC_SBINDIR_REL}")
endif()
if(UIPSEC_SYSTEMD_UNITDIR)
  set(unitdir "${UIPSEC_SYSTEMD_UNITDIR}")
else()
  set(unitdir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
configure_file("${UIPSEC_UNIT_IN}" "${UIPSEC_UNIT_OUT}" @ONLY)
file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES "${UIPSEC_UNIT_OUT}")
