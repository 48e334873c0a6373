# make install (cmake --install): where each file goes, with PREFIX
# (CMAKE_INSTALL_PREFIX, default /usr/local) and DESTDIR. The paths are a
# distribution's: programs in sbin (as swanctl, charon and ip xfrm's
# users expect: every daemon command needs root), the unit where systemd
# looks for the prefix (PREFIX/lib/systemd/system; the Debian package
# sets /lib/systemd/system), configuration in /etc/uipsec (see the
# SYSCONFDIR note in CMakeLists.txt).
# Relative destinations follow the prefix given at install time too
# (cmake --install build --prefix /usr, as make install PREFIX= does).
set(UIPSEC_SYSTEMD_UNITDIR "" CACHE PATH
    "systemd system unit directory (default: PREFIX/lib/systemd/system)")
set(UIPSEC_ETC "${CMAKE_INSTALL_FULL_SYSCONFDIR}/uipsec")

install(TARGETS uipsecd uipsec uipsec-launch RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# The unit names the installed uipsecd, so it is written at install time,
# when the prefix is known for sure (cmake/install_unit.cmake).
install(CODE "set(UIPSEC_UNIT_IN \"${CMAKE_SOURCE_DIR}/dist/uipsecd.service.in\")
              set(UIPSEC_UNIT_OUT \"${CMAKE_BINARY_DIR}/dist/uipsecd.service\")
              set(UIPSEC_SBINDIR_REL \"${CMAKE_INSTALL_SBINDIR}\")
              set(UIPSEC_SYSTEMD_UNITDIR \"${UIPSEC_SYSTEMD_UNITDIR}\")")
install(SCRIPT cmake/install_unit.cmake)

install(FILES docs/man/uipsecd.8 docs/man/uipsec.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES docs/man/uipsecd.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

# uipsec-swanctl.conf(5), the swanctl.conf options uipsec supports, comes
# from the option table (one source for the parser and the page). The
# generator runs after the build; until the daemon can print the page
# (uipsecd --list-options --format man) it writes nothing and the page is
# not installed.
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/swanctl.stamp
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/gen_swanctl_man.sh $<TARGET_FILE:uipsecd>
          ${CMAKE_BINARY_DIR}/man/uipsec-swanctl.conf.5
  COMMAND ${CMAKE_COMMAND} -E touch ${CMAKE_BINARY_DIR}/man/swanctl.stamp
  DEPENDS uipsecd ${CMAKE_SOURCE_DIR}/scripts/gen_swanctl_man.sh
  COMMENT "uipsec-swanctl.conf(5) from the option table")
add_custom_target(man ALL DEPENDS ${CMAKE_BINARY_DIR}/man/swanctl.stamp)
install(FILES ${CMAKE_BINARY_DIR}/man/uipsec-swanctl.conf.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5 OPTIONAL)

install(FILES dist/uipsec.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions RENAME uipsec)

file(GLOB uipsec_docs ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES README.md ${uipsec_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES dist/swanctl.conf dist/uipsecd.conf DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# /etc/uipsec: the credential folders (private keys 0700) and the example
# configuration, which never replaces a site's own file.
install(CODE "set(UIPSEC_ETC \"${UIPSEC_ETC}\")
              set(UIPSEC_DIST \"${CMAKE_SOURCE_DIR}/dist\")")
install(SCRIPT cmake/install_etc.cmake)
