<?xml version="1.0" encoding="UTF-8"?>
<!-- Turns a module page in httpd's "modulesynopsis" format
     (docs/manual/mod_oidc_idp.xml) into one HTML page laid out as httpd's
     own module pages: the module's table (Description, Status, Module
     Identifier, Source File), the summary, the list of directives, then
     each directive with its table (Description, Syntax, Default, Context,
     Status, Module) and its text. No network, no httpd manual build tree:
     xsltproc docs/manual/modulesynopsis.xsl mod_oidc_idp.xml > mod_oidc_idp.html -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="html" encoding="UTF-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <xsl:variable name="module" select="/modulesynopsis/name"/>

  <xsl:template match="/modulesynopsis">
    <html lang="en">
      <head>
        <title><xsl:value-of select="name"/> - Apache HTTP Server</title>
        <style>
          body { font-family: sans-serif; max-width: 60em; margin: 1em auto; padding: 0 1em; line-height: 1.4; }
          h1, h2 { color: #405871; }
          h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
          table.module, table.directive { border-collapse: collapse; margin: .5em 0 1em; }
          table.module th, table.directive th { text-align: left; vertical-align: top; padding: .15em 1em .15em .3em; background: #e3e9ef; white-space: nowrap; }
          table.module td, table.directive td { padding: .15em .3em; }
          code, var { font-family: monospace; }
          var { font-style: italic; }
          pre { background: #f4f4f4; padding: .5em; overflow-x: auto; }
          ul.directives { column-width: 20em; }
        </style>
      </head>
      <body>
        <h1>Apache Module <xsl:value-of select="name"/></h1>
        <table class="module">
          <tr><th>Description:</th><td><xsl:apply-templates select="description/node()"/></td></tr>
          <tr><th>Status:</th><td><xsl:value-of select="status"/></td></tr>
          <tr><th>Module Identifier:</th><td><code><xsl:value-of select="identifier"/></code></td></tr>
          <tr><th>Source File:</th><td><code><xsl:value-of select="sourcefile"/></code></td></tr>
        </table>
        <h2 id="summary">Summary</h2>
        <xsl:apply-templates select="summary/node()"/>
        <h2 id="directives">Directives</h2>
        <ul class="directives">
          <xsl:for-each select="directivesynopsis">
            <li><a href="#{translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')}"><xsl:value-of select="name"/></a></li>
          </xsl:for-each>
        </ul>
        <xsl:if test="seealso">
          <h3>See also</h3>
          <ul><xsl:for-each select="seealso"><li><xsl:apply-templates/></li></xsl:for-each></ul>
        </xsl:if>
        <xsl:apply-templates select="directivesynopsis"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="directivesynopsis">
    <h2 id="{translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')}" class="directive">
      <xsl:value-of select="name"/> Directive</h2>
    <table class="directive">
      <tr><th>Description:</th><td><xsl:apply-templates select="description/node()"/></td></tr>
      <tr><th>Syntax:</th><td><code><xsl:apply-templates select="syntax/node()"/></code></td></tr>
      <xsl:if test="default">
        <tr><th>Default:</th><td><code><xsl:apply-templates select="default/node()"/></code></td></tr>
      </xsl:if>
      <tr><th>Context:</th><td>
        <xsl:for-each select="contextlist/context">
          <xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="."/>
        </xsl:for-each>
      </td></tr>
      <tr><th>Status:</th><td><xsl:value-of select="/modulesynopsis/status"/></td></tr>
      <tr><th>Module:</th><td><xsl:value-of select="$module"/></td></tr>
    </table>
    <xsl:apply-templates select="usage/node()"/>
  </xsl:template>

  <!-- httpd's inline elements -->
  <xsl:template match="directive">
    <xsl:choose>
      <xsl:when test="@module = $module">
        <a href="#{translate(., 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')}"><code><xsl:apply-templates/></code></a>
      </xsl:when>
      <xsl:otherwise><code><xsl:apply-templates/></code></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="module"><code><xsl:apply-templates/></code></xsl:template>
  <xsl:template match="example"><pre><xsl:apply-templates/></pre></xsl:template>
  <xsl:template match="note"><div class="note"><xsl:apply-templates/></div></xsl:template>
  <xsl:template match="p|code|var|em|strong|ul|ol|li|dl|dt|dd|pre|br|table|tr|th|td|a">
    <xsl:element name="{local-name()}">
      <xsl:copy-of select="@href"/>
      <xsl:apply-templates/>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>
